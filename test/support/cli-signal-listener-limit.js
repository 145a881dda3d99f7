// Preloaded into a CLI child process (NODE_OPTIONS=--require) by tests that check for listener
// leaks: Node 20 and 22 warn (MaxListenersExceededWarning) once more than 10 listeners wait on one
// AbortSignal; Node 24 no longer does. This gives every signal that limit back, so a leak shows
// on stderr on any Node, as it did for users.
const { setMaxListeners } = require('node:events');

const NodeAbortController = globalThis.AbortController;
globalThis.AbortController = class extends NodeAbortController {
  constructor() {
    super();
    setMaxListeners(10, this.signal);
  }
};
