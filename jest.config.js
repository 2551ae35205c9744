// Two projects so that `npm test` can run the fast unit suite first and the lab suite
// (real sshd, real IPVS kernel, real keepalived) once the lab is booted.
// Transpile only (tsconfig.jest.json: isolatedModules): `npm test` type-checks every file,
// tests included, with `tsc -p tsconfig.test.json` before jest starts, so ts-jest checking
// each file again cost minutes of CI for nothing (two unit suites: 8.8 s, 2.6 s without).
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];

// What `npm test` leaves to `npm run test:extended` (LVS_EXTENDED=1, also run by `npm run
// bench`), for CI's time: issue 14's health-check proofs (about eight minutes of checks
// failing and healing on the lab's emulated VMs; issue 14 is still open). Other suites gate
// their extended parts themselves (keepalived-pair, examples-cli, engine-interrupt).
const EXTENDED = process.env.LVS_EXTENDED === '1';
const EXTENDED_ONLY = ['<rootDir>/test/integration/keepalived-checks.test.ts'];

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
      testPathIgnorePatterns: ['/node_modules/', ...(EXTENDED ? [] : EXTENDED_ONLY)],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
      // A lab stack left by `npm start` is proven, then taken down for the tests and put back;
      // the package is packed once for the tests that install it as users do.
      globalSetup: '<rootDir>/test/support/integrationGlobalSetup.js',
      globalTeardown: '<rootDir>/test/support/integrationGlobalTeardown.js',
    },
  ],
};
