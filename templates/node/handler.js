// Your function. `event` is the parsed JSON body of the request; return any JSON-serialisable value.
// `context` has the request's method, path and headers. console.log goes to the function's output channel.
exports.handler = async (event, context) => {
  console.log(`{{name}}: ${context.method} ${context.path}`);
  return { message: `Hello, ${event.name ?? 'world'}!`, from: '{{name}}' };
};
