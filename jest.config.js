// Two projects so that `npm test` can run the fast unit suite first and the lab suite
// (real sshd, real IPVS kernel, real keepalived) once the lab is booted.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json' }];

module.exports = {
  reporters: ['default', '<rootDir>/test/support/suiteDurations.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
      // A lab stack left by `npm start` is proven, then taken down for the tests and put back;
      // the package is packed once for the tests that install it as users do.
      globalSetup: '<rootDir>/test/support/integrationGlobalSetup.js',
      globalTeardown: '<rootDir>/test/support/integrationGlobalTeardown.js',
    },
  ],
};
