import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostNameOf, hostRuleFor, isLoopbackName, routeOf } from '../../src/core/gatewayRoute';

describe('hostNameOf', () => {
  it('lowercases and drops the port', () => {
    assert.equal(hostNameOf('Hello.LocalHost:8080'), 'hello.localhost');
    assert.equal(hostNameOf('127.0.0.1:41000'), '127.0.0.1');
    assert.equal(hostNameOf('[::1]:41000'), '[::1]');
    assert.equal(hostNameOf('localhost'), 'localhost');
  });

  it('reads a fully qualified "localhost." as localhost', () => {
    assert.equal(hostNameOf('localhost.:80'), 'localhost');
  });

  it('gives undefined for a missing or malformed Host', () => {
    for (const bad of [undefined, '', 'user@localhost', 'localhost:80:80', 'local host', 'localhost/evil']) assert.equal(hostNameOf(bad), undefined, String(bad));
  });
});

describe('isLoopbackName', () => {
  it('accepts localhost, *.localhost, 127.0.0.1 and [::1]', () => {
    for (const name of ['localhost', 'hello.localhost', 'a.b.localhost', '127.0.0.1', '[::1]']) assert.equal(isLoopbackName(name), true, name);
  });

  it('refuses any other name, including look-alikes a rebinding site could use', () => {
    for (const name of ['evil.example', 'localhost.evil.example', 'evillocalhost', '127.0.0.1.nip.io', '0.0.0.0', 'host.docker.internal']) {
      assert.equal(isLoopbackName(name), false, name);
    }
  });
});

describe('hostRuleFor', () => {
  it('on 127.0.0.1 serves loopback names only', () => {
    const rule = hostRuleFor('127.0.0.1');
    assert.equal(rule('hello.localhost'), true);
    assert.equal(rule('host.docker.internal'), false);
  });

  it('on an extra address also serves the names containers call the host by, and the address itself', () => {
    const rule = hostRuleFor('172.17.0.1');
    for (const name of ['host.docker.internal', 'host.containers.internal', '172.17.0.1', 'localhost']) assert.equal(rule(name), true, name);
    for (const name of ['evil.example', '172.17.0.2']) assert.equal(rule(name), false, name);
    assert.equal(hostRuleFor('fd00::1')('[fd00::1]'), true);
  });
});

describe('routeOf', () => {
  it('routes by the first path segment and removes it', () => {
    assert.deepEqual(routeOf('127.0.0.1', '/hello/rest?q=1'), { name: 'hello', path: '/rest?q=1' });
    assert.deepEqual(routeOf('localhost', '/hello/a/b/'), { name: 'hello', path: '/a/b/' });
  });

  it('forwards "/" for the function alone, keeping a query', () => {
    assert.deepEqual(routeOf('127.0.0.1', '/hello'), { name: 'hello', path: '/' });
    assert.deepEqual(routeOf('127.0.0.1', '/hello/'), { name: 'hello', path: '/' });
    assert.deepEqual(routeOf('127.0.0.1', '/hello?x=1'), { name: 'hello', path: '/?x=1' });
  });

  it('routes <name>.localhost with the path kept', () => {
    assert.deepEqual(routeOf('hello.localhost', '/other/rest?q'), { name: 'hello', path: '/other/rest?q' });
    assert.deepEqual(routeOf('my.fn.localhost', '/'), { name: 'my.fn', path: '/' });
  });

  it('names no function for "/"', () => {
    assert.equal(routeOf('127.0.0.1', '/'), undefined);
    assert.equal(routeOf('127.0.0.1', '/?x'), undefined);
  });
});
