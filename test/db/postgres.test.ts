import { repositorySuite } from "./repository-suite.js";
import { postgresBackend } from "./_postgres.js";

repositorySuite(await postgresBackend());
