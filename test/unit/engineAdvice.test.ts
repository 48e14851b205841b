import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineUnavailableError, InvalidEngineAddressError } from '../../src/engine/engine';
import { statusWithAdvice, withEngineAdvice } from '../../src/ui/engineAdvice';
import { english } from '../support/english';

describe('engine errors: the engine says what happened, the UI what to do', () => {
  it('an engine that does not answer: start it or set the address, then Retry', () => {
    const error = new EngineUnavailableError('unix:///var/run/docker.sock (default socket)', 'ENOENT');
    assert.doesNotMatch(error.message, /Retry|localServerless/, 'no UI words in the engine layer');
    assert.equal(withEngineAdvice(error, english), 'No Docker engine answered at unix:///var/run/docker.sock (default socket) (ENOENT). Start Docker (or Podman\'s socket), or set "localServerless.dockerHost", then Retry.');
  });

  it('an address that is not one: fix or clear it, then Retry', () => {
    const error = new InvalidEngineAddressError('x (setting)', '"x" is not an engine address', 'x', 'setting localServerless.dockerHost in workspace settings');
    assert.match(withEngineAdvice(error, english), /cannot be used: "x" is not an engine address\. Fix the value, or clear it .*then Retry\.$/);
    assert.match(statusWithAdvice({ kind: 'unavailable', message: error.message, reason: error.reason }, english), /Fix the value/);
  });
});
