import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppConfig } from './config';

/** Injection token of the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the validated {@link AppConfig}: `constructor(@InjectConfig() config: AppConfig)`. */
export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);

/** Makes the one validated configuration available to every module. */
@Global()
@Module({})
export class ConfigModule {
  /** Provides `config`, already validated by `loadConfig`. */
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
