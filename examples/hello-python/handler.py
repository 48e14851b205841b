# Your function. `event` is the parsed JSON body of the request; return any JSON-serialisable value.
# `context` has the request's method, path and headers. print() goes to the function's output channel.


def handler(event, context):
    print(f"hello-python: {context['method']} {context['path']}")
    return {"message": f"Hello, {event.get('name', 'world')}!", "from": "hello-python"}
