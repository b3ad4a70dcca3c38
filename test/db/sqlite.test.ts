import { after } from "node:test";
import { repositorySuite } from "./repository-suite.js";
import { sqliteBackend } from "./_sqlite.js";

const backend = sqliteBackend();
after(() => backend.cleanup());
repositorySuite(backend);
