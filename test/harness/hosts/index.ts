/**
 * The test-host harness for suites and benchmarks. It lives in
 * src/sandbox/hosts/ (see its index for the design) because `hostplane
 * sandbox` builds its local fleet with it too; tests import it from here.
 */
export * from "../../../src/sandbox/hosts/index.js";

import { HOSTS_SKIP } from "../../../src/sandbox/hosts/index.js";

// Once per test process, in the TAP output: why the test-host suites skip here.
if (HOSTS_SKIP) console.log(`# skipping test-host tests: ${HOSTS_SKIP}`);
