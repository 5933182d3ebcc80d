/**
 * Issue 12, item 7: the fastify example's shutdown (closeOnSignal) in a real process; the scenario is shared
 * by every example.
 */
import { shutdownScenario } from '../../express/test/helpers/shutdown.js';

shutdownScenario(new URL('../src/server.mjs', import.meta.url));
