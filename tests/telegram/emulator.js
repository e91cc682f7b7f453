// Starts telegram-test-api (the Telegram Bot API emulator) on loopback for the tests.
// Usage: node emulator.js PORT   (run with NODE_PATH=tests/node/node_modules)
// Prints "ready" once it listens. The emulator posts webhook updates without awaiting
// failures, so an unanswered push would end the process; we log it and keep serving.
const TelegramServer = require('telegram-test-api');

process.on('unhandledRejection', (err) => {
  console.error(`emulator: ${err && err.message}`);
});

(async () => {
  const server = new TelegramServer({ port: Number(process.argv[2]), host: '127.0.0.1' });
  await server.start();
  console.log('ready');
})();
