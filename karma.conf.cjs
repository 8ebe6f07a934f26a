// Karma for every Angular project (portal, ui, call-signaling): headless Debian Chromium.
// CHROME_BIN is set by tools/ensure-chromium.mjs; the flags (tools/chromium-flags.json, shared
// with the Playwright specs) are the ones Chromium needs as root on a machine with no network,
// plus a fake microphone and camera (see ../shared/PLATFORM-NOTES.md).
module.exports = function (config) {
  config.set({
    basePath: '',
    frameworks: ['jasmine'],
    plugins: [require('karma-jasmine'), require('karma-chrome-launcher')],
    client: { jasmine: { random: true }, clearContext: false },
    reporters: ['progress'],
    browsers: ['ChromeHeadlessCI'],
    customLaunchers: {
      ChromeHeadlessCI: {
        base: 'ChromeHeadless',
        flags: require('./tools/chromium-flags.json'),
      },
    },
    browserNoActivityTimeout: 120000,
    captureTimeout: 120000,
    singleRun: true,
    restartOnFileChange: false,
  });
};
