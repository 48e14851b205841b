'use strict';
// Your function: a CloudEvent handler run by Google's Functions Framework
// (https://github.com/GoogleCloudPlatform/functions-framework-nodejs). It takes the event in either
// HTTP mode: binary (attributes in ce-* headers, the body is the data) or structured (the whole
// event as an application/cloudevents+json body). Invoke sends events/*.json as a CloudEvent.
// Whatever the handler returns is the reply's body; console.log goes to the function's output channel.
//
// Saving a .js file copies it into the running container and restarts the container: Functions
// Framework loads the code once and cannot reload it in place (on SIGHUP) the way the plain Node.js
// template does, so a sync costs a restart of a second or so. Changing package.json rebuilds the image.
const functions = require('@google-cloud/functions-framework');

functions.cloudEvent('handler', (cloudEvent) => {
  const { data, ...attributes } = cloudEvent;
  console.log(`{{name}}: ${attributes.type} from ${attributes.source} (id ${attributes.id}, subject ${attributes.subject ?? 'none'})`);
  // The attributes: specversion, id, type, source, subject, time, and any extension (ce-myext → myext).
  return { message: `Hello, ${data?.name ?? 'world'}!`, from: '{{name}}', attributes, data };
});
