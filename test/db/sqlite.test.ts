import { repositorySuite } from "./repository-suite.js";
import { sqliteBackend } from "./_sqlite.js";

repositorySuite(sqliteBackend());
