// Loaded by Jasmine before every Node spec: Nest's decorators need the metadata polyfill.
import 'reflect-metadata';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 30_000;
