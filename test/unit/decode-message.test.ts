import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, type RejectionReason } from '../../contracts/envelope';
import { decodeMessage, parseSubject, type DecodeOptions, type DecodeOutcome, type ProjectRules, type Rejection } from '../../rules/decode-message';
import type { EventSource, PreparedEvent } from '../../rules/prepared-event';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const RECEIVED = Date.UTC(2026, 0, 31, 12, 0, 0);
const RECEIVED_ISO = '2026-01-31T12:00:00.000Z';
const at = (offsetMs: number): string => new Date(RECEIVED + offsetMs).toISOString();

const PROJECTS: Record<string, ProjectRules> = {
  acme: { projectId: 'acme', channels: ['web', 'mobile', 'backend'], skewToleranceSeconds: 30, namingConvention: 'object_action_title' },
  snaky: { projectId: 'snaky', channels: ['web', 'kiosk'], skewToleranceSeconds: 300, namingConvention: 'snake_case' },
  loose: { projectId: 'loose', channels: ['backend'], skewToleranceSeconds: 0, namingConvention: 'any' },
};
const lookup = (projectId: string): ProjectRules | undefined => PROJECTS[projectId];

const SUBJECT = 'braid.raw.acme.web';
const source = (subject: string | null = SUBJECT): EventSource => ({ stream: 'BRAID_RAW', sequence: 42, subject });

const encode = (x: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(x));
const encodeText = (text: string): Uint8Array => new TextEncoder().encode(text);

function decodeBytes(data: Uint8Array, subject = SUBJECT, options?: DecodeOptions): DecodeOutcome {
  return decodeMessage({ subject, data, receivedAtMs: RECEIVED, source: source(subject) }, lookup, options);
}
const decode = (payload: unknown, subject = SUBJECT, options?: DecodeOptions): DecodeOutcome => decodeBytes(encode(payload), subject, options);

function accepted(outcome: DecodeOutcome): PreparedEvent {
  if (outcome.kind !== 'accepted') throw new Error(`expected an accepted event, got ${outcome.rejection.reason}: ${JSON.stringify(outcome.rejection.details)}`);
  return outcome.event;
}
function rejected(outcome: DecodeOutcome): Rejection {
  if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got an accepted event ${JSON.stringify(outcome.event)}`);
  return outcome.rejection;
}
const reasonOf = (outcome: DecodeOutcome): RejectionReason | 'accepted' => (outcome.kind === 'accepted' ? 'accepted' : outcome.rejection.reason);

type Fields = Record<string, unknown>;
const track = (fields: Fields = {}): Fields => ({ type: 'track', messageId: 'msg-1', anonymousId: 'anon-1', event: 'Order Completed', ...fields });
const without = (fields: Fields, ...keys: string[]): Fields => Object.fromEntries(Object.entries(fields).filter(([k]) => !keys.includes(k)));

/** A JSON payload of exactly `bytes` UTF-8 bytes. */
function payloadOfBytes(bytes: number, fields: Fields = {}): Uint8Array {
  const base = track({ messageId: 'msg-size', properties: { pad: '' }, ...fields });
  const overhead = encode(base).byteLength;
  const data = encode({ ...base, properties: { pad: 'x'.repeat(bytes - overhead) } });
  if (data.byteLength !== bytes) throw new Error(`built ${data.byteLength} bytes, wanted ${bytes}`);
  return data;
}

describe('parseSubject', () => {
  it.each([
    { subject: 'braid.raw.acme.web', expected: { projectId: 'acme', channel: 'web' } },
    { subject: 'braid.raw.0.a', expected: { projectId: '0', channel: 'a' } },
    { subject: 'braid.raw.my_proj-1.pos-2', expected: { projectId: 'my_proj-1', channel: 'pos-2' } },
    { subject: `braid.raw.${'a'.repeat(63)}.${'b'.repeat(32)}`, expected: { projectId: 'a'.repeat(63), channel: 'b'.repeat(32) } },
    { subject: 'braid.raw.acme', expected: null },
    { subject: 'braid.raw.acme.web.extra', expected: null },
    { subject: 'braid.raw..web', expected: null },
    { subject: 'braid.raw.acme.', expected: null },
    { subject: 'braid.raw.ACME.web', expected: null },
    { subject: 'braid.raw.acme.Web', expected: null },
    { subject: 'braid.raw.-acme.web', expected: null },
    { subject: 'braid.raw.acme.9web', expected: null },
    { subject: 'braid.raw.acme.web-', expected: { projectId: 'acme', channel: 'web-' } },
    { subject: `braid.raw.${'a'.repeat(64)}.web`, expected: null },
    { subject: `braid.raw.acme.${'b'.repeat(33)}`, expected: null },
    { subject: 'braid.raw.ac me.web', expected: null },
    { subject: 'Braid.raw.acme.web', expected: null },
    { subject: 'braid.rawx.acme.web', expected: null },
    { subject: ' braid.raw.acme.web', expected: null },
    { subject: '', expected: null },
    { subject: 'braid.raw.>', expected: null },
    { subject: 'braid.raw.*.web', expected: null },
  ])('"$subject"', ({ subject, expected }) => {
    expect(parseSubject(subject)).toEqual(expected);
  });
});

describe('decodeMessage', () => {
  describe('one row per rejection reason', () => {
    it.each([
      // transport and framing
      { reason: 'invalid_subject', label: 'three tokens', data: encode(track()), subject: 'braid.raw.acme' },
      { reason: 'invalid_subject', label: 'five tokens', data: encode(track()), subject: 'braid.raw.acme.web.extra' },
      { reason: 'invalid_subject', label: 'upper-case project', data: encode(track()), subject: 'braid.raw.ACME.web' },
      { reason: 'invalid_subject', label: 'foreign prefix', data: encode(track()), subject: 'segment.raw.acme.web' },
      { reason: 'invalid_subject', label: 'empty subject', data: encode(track()), subject: '' },
      { reason: 'unknown_project', label: 'project not in the directory', data: encode(track()), subject: 'braid.raw.nobody.web' },
      { reason: 'unknown_channel', label: 'channel not registered', data: encode(track()), subject: 'braid.raw.acme.kiosk' },
      { reason: 'unknown_channel', label: 'default channel not registered on a custom project', data: encode(track()), subject: 'braid.raw.snaky.mobile' },
      { reason: 'payload_too_large', label: '32 KiB + 1 byte', data: payloadOfBytes(MAX_EVENT_BYTES + 1), subject: SUBJECT },
      { reason: 'payload_too_large', label: '1 MiB', data: payloadOfBytes(1024 * 1024), subject: SUBJECT },
      { reason: 'payload_too_large', label: '20 000 two-byte characters (< 32 768 characters, > 32 KiB)', data: encode(track({ properties: { note: 'é'.repeat(20_000) } })), subject: SUBJECT },
      { reason: 'invalid_utf8', label: 'byte 0xff', data: new Uint8Array([0x7b, 0xff, 0x7d]), subject: SUBJECT },
      { reason: 'invalid_utf8', label: 'overlong encoding of /', data: new Uint8Array([0x22, 0xc0, 0xaf, 0x22]), subject: SUBJECT },
      { reason: 'invalid_utf8', label: 'UTF-8-encoded surrogate', data: new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), subject: SUBJECT },
      { reason: 'invalid_utf8', label: 'truncated multi-byte sequence', data: new Uint8Array([...encodeText('{"a":"'), 0xe2, 0x82]), subject: SUBJECT },
      { reason: 'invalid_utf8', label: 'Latin-1 é', data: new Uint8Array([...encodeText('{"event":"caf'), 0xe9, ...encodeText('"}')]), subject: SUBJECT },
      { reason: 'invalid_json', label: 'empty payload', data: new Uint8Array(0), subject: SUBJECT },
      { reason: 'invalid_json', label: 'truncated object', data: encodeText('{"type":"track"'), subject: SUBJECT },
      { reason: 'invalid_json', label: 'single quotes', data: encodeText("{'type':'track'}"), subject: SUBJECT },
      { reason: 'invalid_json', label: 'trailing comma', data: encodeText('{"type":"track",}'), subject: SUBJECT },
      { reason: 'invalid_json', label: 'NaN literal', data: encodeText('{"userId":NaN}'), subject: SUBJECT },
      { reason: 'invalid_json', label: 'two objects (NDJSON)', data: encodeText('{"a":1}\n{"b":2}'), subject: SUBJECT },
      { reason: 'invalid_json', label: 'the word undefined', data: encodeText('undefined'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'array', data: encodeText('[{"type":"track"}]'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'empty array', data: encodeText('[]'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'number', data: encodeText('42'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'string', data: encodeText('"track"'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'null', data: encodeText('null'), subject: SUBJECT },
      { reason: 'not_an_object', label: 'true', data: encodeText('true'), subject: SUBJECT },
      // envelope
      { reason: 'missing_type', label: 'no type', data: encode(without(track(), 'type')), subject: SUBJECT },
      { reason: 'missing_type', label: 'empty type', data: encode(track({ type: '' })), subject: SUBJECT },
      { reason: 'missing_type', label: 'null type', data: encode(track({ type: null })), subject: SUBJECT },
      { reason: 'unknown_type', label: 'capitalised type', data: encode(track({ type: 'Track' })), subject: SUBJECT },
      { reason: 'unknown_type', label: 'made-up type', data: encode(track({ type: 'purchase' })), subject: SUBJECT },
      { reason: 'unknown_type', label: 'numeric type', data: encode(track({ type: 1 })), subject: SUBJECT },
      { reason: 'unknown_type', label: 'padded type', data: encode(track({ type: ' track' })), subject: SUBJECT },
      { reason: 'missing_message_id', label: 'no messageId', data: encode(without(track(), 'messageId')), subject: SUBJECT },
      { reason: 'missing_message_id', label: 'empty messageId', data: encode(track({ messageId: '' })), subject: SUBJECT },
      { reason: 'missing_message_id', label: 'null messageId', data: encode(track({ messageId: null })), subject: SUBJECT },
      { reason: 'message_id_too_long', label: '101 characters', data: encode(track({ messageId: 'm'.repeat(101) })), subject: SUBJECT },
      { reason: 'invalid_message_id', label: 'number', data: encode(track({ messageId: 12345 })), subject: SUBJECT },
      { reason: 'invalid_message_id', label: 'object', data: encode(track({ messageId: { id: 'x' } })), subject: SUBJECT },
      { reason: 'invalid_message_id', label: 'boolean', data: encode(track({ messageId: true })), subject: SUBJECT },
      { reason: 'missing_identity', label: 'both absent', data: encode(without(track(), 'anonymousId')), subject: SUBJECT },
      { reason: 'missing_identity', label: 'both blank', data: encode(track({ userId: '   ', anonymousId: '\t' })), subject: SUBJECT },
      { reason: 'missing_identity', label: 'both empty', data: encode(track({ userId: '', anonymousId: '' })), subject: SUBJECT },
      { reason: 'missing_identity', label: 'both null', data: encode(track({ userId: null, anonymousId: null })), subject: SUBJECT },
      { reason: 'invalid_user_id', label: 'object userId', data: encode(track({ userId: { id: 1 } })), subject: SUBJECT },
      { reason: 'invalid_user_id', label: 'object userId and no anonymousId', data: encode(without(track({ userId: {} }), 'anonymousId')), subject: SUBJECT },
      { reason: 'invalid_user_id', label: 'array userId', data: encode(track({ userId: ['u'] })), subject: SUBJECT },
      { reason: 'invalid_user_id', label: 'boolean userId', data: encode(track({ userId: true })), subject: SUBJECT },
      { reason: 'invalid_user_id', label: '513-character userId', data: encode(track({ userId: 'u'.repeat(513) })), subject: SUBJECT },
      { reason: 'invalid_user_id', label: 'userId 1e400 (Infinity)', data: encodeText('{"type":"track","messageId":"m","userId":1e400,"event":"Order Completed"}'), subject: SUBJECT },
      { reason: 'invalid_anonymous_id', label: 'object anonymousId', data: encode(track({ anonymousId: {}, userId: 'u' })), subject: SUBJECT },
      { reason: 'missing_event', label: 'track without event', data: encode(without(track(), 'event')), subject: SUBJECT },
      { reason: 'missing_event', label: 'empty event', data: encode(track({ event: '' })), subject: SUBJECT },
      { reason: 'missing_event', label: 'blank event', data: encode(track({ event: '   ' })), subject: SUBJECT },
      { reason: 'missing_event', label: 'null event', data: encode(track({ event: null })), subject: SUBJECT },
      { reason: 'invalid_event', label: 'numeric event', data: encode(track({ event: 42 })), subject: SUBJECT },
      { reason: 'invalid_event', label: 'object event', data: encode(track({ event: { name: 'Order Completed' } })), subject: SUBJECT },
      { reason: 'invalid_event', label: '201-character event', data: encode(track({ event: 'A'.repeat(201) })), subject: SUBJECT },
      { reason: 'invalid_name', label: 'numeric page name', data: encode({ type: 'page', messageId: 'm', anonymousId: 'a', name: 5 }), subject: SUBJECT },
      { reason: 'missing_previous_id', label: 'alias without previousId', data: encode({ type: 'alias', messageId: 'm', userId: 'user-1' }), subject: SUBJECT },
      { reason: 'missing_previous_id', label: 'alias with blank previousId', data: encode({ type: 'alias', messageId: 'm', userId: 'user-1', previousId: ' ' }), subject: SUBJECT },
      { reason: 'invalid_previous_id', label: 'alias with object previousId', data: encode({ type: 'alias', messageId: 'm', userId: 'user-1', previousId: {} }), subject: SUBJECT },
      { reason: 'missing_user_id', label: 'alias with anonymousId but no userId', data: encode({ type: 'alias', messageId: 'm', anonymousId: 'anon-1', previousId: 'anon-0' }), subject: SUBJECT },
      { reason: 'missing_user_id', label: 'alias with blank userId', data: encode({ type: 'alias', messageId: 'm', anonymousId: 'anon-1', userId: ' ', previousId: 'anon-0' }), subject: SUBJECT },
      { reason: 'missing_group_id', label: 'group without groupId', data: encode({ type: 'group', messageId: 'm', userId: 'u' }), subject: SUBJECT },
      { reason: 'missing_group_id', label: 'group with empty groupId', data: encode({ type: 'group', messageId: 'm', userId: 'u', groupId: '' }), subject: SUBJECT },
      { reason: 'invalid_group_id', label: 'group with array groupId', data: encode({ type: 'group', messageId: 'm', userId: 'u', groupId: ['g'] }), subject: SUBJECT },
      { reason: 'invalid_properties', label: 'array properties', data: encode(track({ properties: [1, 2] })), subject: SUBJECT },
      { reason: 'invalid_properties', label: 'string properties', data: encode(track({ properties: '{"a":1}' })), subject: SUBJECT },
      { reason: 'invalid_properties', label: 'numeric properties', data: encode(track({ properties: 0 })), subject: SUBJECT },
      { reason: 'invalid_traits', label: 'array traits', data: encode({ type: 'identify', messageId: 'm', userId: 'u', traits: [] }), subject: SUBJECT },
      { reason: 'invalid_traits', label: 'string traits', data: encode({ type: 'identify', messageId: 'm', userId: 'u', traits: 'vip' }), subject: SUBJECT },
      { reason: 'invalid_context', label: 'array context', data: encode(track({ context: [] })), subject: SUBJECT },
      { reason: 'invalid_context', label: 'string context', data: encode(track({ context: 'web' })), subject: SUBJECT },
      { reason: 'invalid_context', label: 'boolean context', data: encode(track({ context: false })), subject: SUBJECT },
      { reason: 'invalid_session_id', label: 'empty sessionId', data: encode(track({ context: { sessionId: '' } })), subject: SUBJECT },
      { reason: 'invalid_session_id', label: 'object sessionId', data: encode(track({ context: { sessionId: { id: 1 } } })), subject: SUBJECT },
      { reason: 'invalid_session_id', label: 'boolean sessionId', data: encode(track({ context: { sessionId: true } })), subject: SUBJECT },
      { reason: 'invalid_session_id', label: '513-character sessionId', data: encode(track({ context: { sessionId: 's'.repeat(513) } })), subject: SUBJECT },
      { reason: 'invalid_session_id', label: 'sessionId 1e400 (Infinity)', data: encodeText('{"type":"track","messageId":"m","anonymousId":"a","event":"Order Completed","context":{"sessionId":1e400}}'), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'free text', data: encode(track({ timestamp: 'yesterday' })), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'epoch milliseconds', data: encode(track({ timestamp: 1_769_860_800_000 })), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'Feb 30', data: encode(track({ timestamp: '2024-02-30T10:00:00Z' })), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'no offset', data: encode(track({ timestamp: '2026-01-31T11:59:00' })), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'hour 24', data: encode(track({ timestamp: '2026-01-31T24:00:00Z' })), subject: SUBJECT },
      { reason: 'invalid_timestamp', label: 'date only', data: encode(track({ timestamp: '2026-01-31' })), subject: SUBJECT },
      { reason: 'invalid_sent_at', label: 'free text', data: encode(track({ sentAt: 'now' })), subject: SUBJECT },
      { reason: 'invalid_sent_at', label: 'epoch seconds', data: encode(track({ sentAt: 1_769_860_800 })), subject: SUBJECT },
      { reason: 'invalid_sent_at', label: 'Feb 29 of 2023', data: encode(track({ sentAt: '2023-02-29T00:00:00Z' })), subject: SUBJECT },
    ] as { reason: RejectionReason; label: string; data: Uint8Array; subject: string }[])('$reason: $label', ({ reason, data, subject }) => {
      const rejection = rejected(decodeBytes(data, subject));
      expect(rejection.reason).toBe(reason);
      expect(typeof rejection.details.message).toBe('string');
      expect(rejection.receivedAt).toBe(RECEIVED_ISO);
      expect(rejection.source).toEqual(source(subject));
    });
  });

  describe('boundaries that are accepted', () => {
    it('a payload of exactly 32 KiB', () => {
      const event = accepted(decodeBytes(payloadOfBytes(MAX_EVENT_BYTES)));
      expect(event.messageId).toBe('msg-size');
    });

    it('a messageId of exactly 100 characters', () => {
      expect(accepted(decode(track({ messageId: 'm'.repeat(100) }))).messageId).toBe('m'.repeat(100));
    });

    it('a messageId of one character', () => {
      expect(accepted(decode(track({ messageId: 'x' }))).messageId).toBe('x');
    });

    it('an event name of exactly 200 characters', () => {
      const name = `A ${'B'.repeat(198)}`;
      expect(accepted(decode(track({ event: name }))).event).toBe(name);
    });

    it('a userId of exactly 512 characters', () => {
      expect(accepted(decode(track({ userId: 'u'.repeat(512) }))).userId).toBe('u'.repeat(512));
    });

    it('a payload with a UTF-8 byte order mark', () => {
      const data = new Uint8Array([0xef, 0xbb, 0xbf, ...encode(track())]);
      expect(accepted(decodeBytes(data)).messageId).toBe('msg-1');
    });
  });

  describe('checks run in a fixed order', () => {
    it.each([
      { label: 'bad UTF-8 on a bad subject → invalid_utf8', data: new Uint8Array([0xff]), subject: 'nope', reason: 'invalid_utf8' },
      { label: 'bad subject before size', data: payloadOfBytes(MAX_EVENT_BYTES + 1), subject: 'braid.raw.acme', reason: 'invalid_subject' },
      { label: 'size before JSON', data: encodeText(`{"x":"${'x'.repeat(MAX_EVENT_BYTES)}`), subject: SUBJECT, reason: 'payload_too_large' },
      { label: 'size before project', data: payloadOfBytes(MAX_EVENT_BYTES + 1), subject: 'braid.raw.nobody.web', reason: 'payload_too_large' },
      { label: 'JSON before project', data: encodeText('{'), subject: 'braid.raw.nobody.web', reason: 'invalid_json' },
      { label: 'project before channel', data: encode(track()), subject: 'braid.raw.nobody.kiosk', reason: 'unknown_project' },
      { label: 'channel before shape', data: encodeText('[]'), subject: 'braid.raw.acme.kiosk', reason: 'unknown_channel' },
      { label: 'missing_type before missing_message_id', data: encode({ anonymousId: 'a' }), subject: SUBJECT, reason: 'missing_type' },
      { label: 'missing_message_id before missing_identity', data: encode({ type: 'track', event: 'Order Completed' }), subject: SUBJECT, reason: 'missing_message_id' },
      { label: 'missing_identity before missing_event', data: encode({ type: 'track', messageId: 'm' }), subject: SUBJECT, reason: 'missing_identity' },
      { label: 'missing_user_id before missing_previous_id', data: encode({ type: 'alias', messageId: 'm', anonymousId: 'a' }), subject: SUBJECT, reason: 'missing_user_id' },
      { label: 'invalid_properties before invalid_timestamp', data: encode(track({ properties: [], timestamp: 'x' })), subject: SUBJECT, reason: 'invalid_properties' },
      { label: 'invalid_timestamp before invalid_sent_at', data: encode(track({ sentAt: 'x', timestamp: 'y' })), subject: SUBJECT, reason: 'invalid_timestamp' },
    ] as { label: string; data: Uint8Array; subject: string; reason: RejectionReason }[])('$label', ({ data, subject, reason }) => {
      expect(reasonOf(decodeBytes(data, subject))).toBe(reason);
    });

    it('lists every violation, first reason first', () => {
      const rejection = rejected(decode({ type: 'alias', messageId: 'm', anonymousId: 'a' }));
      expect(rejection.details.violations).toEqual([
        { path: 'userId', rule: 'missing_user_id', message: 'alias needs userId' },
        { path: 'previousId', rule: 'missing_previous_id', message: 'alias needs previousId' },
      ]);
      expect(rejection.details.message).toBe('alias needs userId');
    });

    it('the same payload always gets the same reason', () => {
      const payload = { type: 'nope', messageId: 5, userId: {}, properties: [] };
      const reasons = new Set(Array.from({ length: 5 }, () => reasonOf(decode(payload))));
      expect([...reasons]).toEqual(['unknown_type']);
    });
  });

  describe('rejection attribution', () => {
    it('an envelope rejection carries project, channel, subject, messageId, device and the parsed payload', () => {
      const payload = track({ type: 'purchase', messageId: 'msg-77', properties: { total: 3 } });
      expect(rejected(decode(payload, 'braid.raw.acme.mobile'))).toEqual({
        projectId: 'acme',
        channel: 'mobile',
        subject: 'braid.raw.acme.mobile',
        receivedAt: RECEIVED_ISO,
        messageId: 'msg-77',
        reason: 'unknown_type',
        details: {
          message: 'must be one of track, identify, alias, page, screen, group',
          violations: [{ path: 'type', rule: 'unknown_type', message: 'must be one of track, identify, alias, page, screen, group' }],
        },
        payload,
        source: source('braid.raw.acme.mobile'),
        deviceKey: 'a:anon-1',
      });
    });

    it('unknown_project names the project and keeps the payload', () => {
      const payload = track({ messageId: 'msg-p' });
      const rejection = rejected(decode(payload, 'braid.raw.nobody.web'));
      expect(rejection).toMatchObject({ projectId: 'nobody', channel: 'web', messageId: 'msg-p', payload, details: { projectId: 'nobody' } });
    });

    it('unknown_channel lists the project’s channels', () => {
      const rejection = rejected(decode(track(), 'braid.raw.snaky.mobile'));
      expect(rejection).toMatchObject({ projectId: 'snaky', channel: 'mobile', messageId: 'msg-1', details: { channels: ['web', 'kiosk'] } });
    });

    it.each([
      { subject: 'braid.raw.ACME.web', projectId: null, channel: 'web', recorded: 'braid.raw.ACME.web' },
      { subject: 'braid.raw.acme.Web', projectId: 'acme', channel: null, recorded: 'braid.raw.acme.Web' },
      { subject: 'braid.raw.acme.web.extra', projectId: 'acme', channel: 'web', recorded: 'braid.raw.acme.web.extra' },
      { subject: 'braid.raw.acme', projectId: 'acme', channel: null, recorded: 'braid.raw.acme' },
      { subject: 'other.raw.acme.web', projectId: null, channel: null, recorded: 'other.raw.acme.web' },
      { subject: '', projectId: null, channel: null, recorded: null },
    ])('invalid_subject "$subject" is attributed to project $projectId, channel $channel', ({ subject, projectId, channel, recorded }) => {
      const payload = track({ messageId: 'msg-s' });
      const rejection = rejected(decode(payload, subject));
      expect(rejection).toMatchObject({ reason: 'invalid_subject', projectId, channel, subject: recorded, messageId: 'msg-s', payload, details: { subject } });
    });

    it('invalid_subject with a non-JSON body keeps the text', () => {
      const rejection = rejected(decodeBytes(encodeText('not json'), 'nope'));
      expect(rejection).toMatchObject({ reason: 'invalid_subject', payload: 'not json', messageId: null });
    });

    it('payload_too_large keeps a 4096-character excerpt, the size and the messageId', () => {
      const data = payloadOfBytes(MAX_EVENT_BYTES + 1);
      const rejection = rejected(decodeBytes(data));
      expect(rejection.details).toEqual({ message: `an event is at most ${MAX_EVENT_BYTES} bytes`, bytes: MAX_EVENT_BYTES + 1, limit: MAX_EVENT_BYTES });
      expect(rejection.messageId).toBe('msg-size');
      expect(rejection.payload).toBe(new TextDecoder().decode(data).slice(0, 4096));
    });

    it('invalid_utf8 keeps no payload and no messageId', () => {
      const rejection = rejected(decodeBytes(new Uint8Array([...encodeText('{"messageId":"m1","x":"'), 0xff, ...encodeText('"}')])));
      expect(rejection).toMatchObject({ reason: 'invalid_utf8', payload: null, messageId: null, projectId: 'acme', channel: 'web' });
    });

    it('invalid_json keeps the text and the parser’s message', () => {
      const rejection = rejected(decodeBytes(encodeText('{"messageId":"m1",')));
      expect(rejection).toMatchObject({ reason: 'invalid_json', payload: '{"messageId":"m1",', messageId: null });
      expect(String(rejection.details.message)).toMatch(/^the payload is not JSON: /);
    });

    it.each([
      { label: 'number', messageId: 123, expected: null },
      { label: 'empty', messageId: '', expected: null },
      { label: '101 characters', messageId: 'm'.repeat(101), expected: 'm'.repeat(101) },
      { label: '250 characters, truncated to 200', messageId: 'm'.repeat(250), expected: 'm'.repeat(200) },
      { label: 'with a NUL', messageId: 'm\u0000', expected: 'm\uFFFD' },
    ])('the rejection’s messageId for a $label messageId', ({ messageId, expected }) => {
      const rejection = rejected(decode(track({ messageId, type: 'nope' })));
      expect(rejection.messageId).toBe(expected);
    });

    it('the rejected payload is sanitized', () => {
      const rejection = rejected(decode(track({ type: 'nope', properties: { 'k\u0000': 'v\uD800' } })));
      expect(rejection.payload).toMatchObject({ properties: { 'k\uFFFD': 'v\uFFFD' } });
    });
  });

  describe('accepted events', () => {
    it('a plain track event, field by field', () => {
      const payload = {
        type: 'track',
        messageId: 'msg-1',
        anonymousId: 'anon-1',
        userId: 'user-1',
        event: 'Order Completed',
        properties: { total: 12.5, items: [{ sku: 'A1' }] },
        context: { locale: 'fr-FR', sessionId: 'sess-9' },
        timestamp: at(-5 * SECOND),
        sentAt: at(-1 * SECOND),
        integrations: { All: true },
      };
      expect(accepted(decode(payload))).toEqual({
        projectId: 'acme',
        channel: 'web',
        messageId: 'msg-1',
        type: 'track',
        event: 'Order Completed',
        userId: 'user-1',
        anonymousId: 'anon-1',
        timestamp: payload.timestamp,
        sentAt: payload.sentAt,
        clientSessionId: 'sess-9',
        properties: { total: 12.5, items: [{ sku: 'A1' }] },
        traits: {},
        context: { locale: 'fr-FR', sessionId: 'sess-9' },
        eventTime: at(-5 * SECOND),
        receivedAt: RECEIVED_ISO,
        source: source(),
        transforms: [
          { step: 'validate', version: 1 },
          { step: 'event_time', version: 1 },
          { step: 'naming', version: 1 },
        ],
        flags: [],
      } satisfies PreparedEvent);
    });

    it.each([
      { type: 'identify', fields: { userId: 'user-1', traits: { plan: 'pro' } } },
      { type: 'page', fields: { anonymousId: 'a', name: 'Home' } },
      { type: 'screen', fields: { anonymousId: 'a', name: 'Settings' } },
      { type: 'group', fields: { userId: 'u', groupId: 'g-1' } },
      { type: 'alias', fields: { userId: 'user-1', previousId: 'anon-0' } },
      { type: 'track', fields: { userId: 'u', event: 'Order Completed' } },
    ])('type $type', ({ type, fields }) => {
      const event = accepted(decode({ type, messageId: `m-${type}`, ...fields }));
      expect(event).toMatchObject({ type, messageId: `m-${type}`, ...fields });
    });

    it.each([
      { label: 'integer userId', fields: { userId: 42 }, key: 'userId', expected: '42' },
      { label: 'zero userId', fields: { userId: 0 }, key: 'userId', expected: '0' },
      { label: 'negative userId', fields: { userId: -7 }, key: 'userId', expected: '-7' },
      { label: 'fractional userId', fields: { userId: 1.5 }, key: 'userId', expected: '1.5' },
      { label: 'numeric anonymousId', fields: { anonymousId: 987654321 }, key: 'anonymousId', expected: '987654321' },
      { label: 'numeric groupId', fields: { type: 'group', userId: 'u', groupId: 7 }, key: 'groupId', expected: '7' },
      { label: 'numeric previousId', fields: { type: 'alias', userId: 'u', previousId: 3 }, key: 'previousId', expected: '3' },
    ])('$label becomes the string $expected', ({ fields, key, expected }) => {
      const event = accepted(decode(track(fields)));
      expect(event[key as keyof PreparedEvent]).toBe(expected);
    });

    it('null fields are treated as absent', () => {
      const event = accepted(
        decode({
          type: 'page',
          messageId: 'm-null',
          userId: null,
          anonymousId: 'anon-1',
          previousId: null,
          groupId: null,
          event: null,
          name: null,
          properties: null,
          traits: null,
          context: null,
          timestamp: null,
          sentAt: null,
        }),
      );
      expect(event).toEqual({
        projectId: 'acme',
        channel: 'web',
        messageId: 'm-null',
        type: 'page',
        anonymousId: 'anon-1',
        properties: {},
        traits: {},
        context: {},
        eventTime: RECEIVED_ISO,
        receivedAt: RECEIVED_ISO,
        source: source(),
        transforms: [
          { step: 'validate', version: 1 },
          { step: 'event_time', version: 1 },
        ],
        flags: ['timestamp_defaulted'],
      } satisfies PreparedEvent);
    });

    it.each([
      { label: 'number', sessionId: 1_706_700_000_123, expected: '1706700000123' },
      { label: 'zero', sessionId: 0, expected: '0' },
      { label: 'negative number', sessionId: -1, expected: '-1' },
      { label: 'string', sessionId: 'sess-abc', expected: 'sess-abc' },
      { label: 'numeric string', sessionId: '0042', expected: '0042' },
      { label: 'null', sessionId: null, expected: undefined },
    ])('context.sessionId $label → clientSessionId $expected', ({ sessionId, expected }) => {
      const event = accepted(decode(track({ context: { sessionId } })));
      expect(event.clientSessionId).toBe(expected);
      expect('clientSessionId' in event).toBe(expected !== undefined);
    });

    it('a placeholder id still satisfies identity (it just never links)', () => {
      expect(accepted(decode(track({ anonymousId: 'null' }))).anonymousId).toBe('null');
    });

    it('drops envelope fields the contract does not know', () => {
      const event = accepted(decode(track({ integrations: { All: false }, version: 2, channel: 'server', projectId: 'evil' })));
      expect(event.projectId).toBe('acme');
      expect(event.channel).toBe('web');
      expect(Object.keys(event)).not.toContain('integrations');
      expect(Object.keys(event)).not.toContain('version');
    });
  });

  describe('transforms and flags', () => {
    it.each([
      { label: 'title case on an object_action_title project', subject: 'braid.raw.acme.web', event: 'Order Completed', flags: [] },
      { label: 'snake_case on an object_action_title project', subject: 'braid.raw.acme.web', event: 'order_completed', flags: ['naming_violation:object_action_title'] },
      { label: 'one word on an object_action_title project', subject: 'braid.raw.acme.web', event: 'Purchase', flags: ['naming_violation:object_action_title'] },
      { label: 'snake_case on a snake_case project', subject: 'braid.raw.snaky.kiosk', event: 'order_completed', flags: [] },
      { label: 'title case on a snake_case project', subject: 'braid.raw.snaky.web', event: 'Order Completed', flags: ['naming_violation:snake_case'] },
      { label: 'anything on an any project', subject: 'braid.raw.loose.backend', event: 'whatever it is!', flags: [] },
    ])('naming: $label → $flags', ({ subject, event, flags }) => {
      const prepared = accepted(decode(track({ event, timestamp: at(0) }), subject));
      expect(prepared.flags).toEqual(flags);
      expect(prepared.transforms.map((t) => t.step)).toEqual(['validate', 'event_time', 'naming']);
    });

    it.each([{ type: 'page' }, { type: 'screen' }, { type: 'identify' }])('$type events are not checked for naming, even with an event field', ({ type }) => {
      const prepared = accepted(decode({ type, messageId: 'm', anonymousId: 'a', event: 'not_title_case', timestamp: at(0) }));
      expect(prepared.flags).toEqual([]);
      expect(prepared.transforms.map((t) => t.step)).toEqual(['validate', 'event_time']);
    });

    it.each([
      {
        label: 'clock a day ahead',
        subject: SUBJECT,
        timestamp: at(DAY - 5 * SECOND),
        sentAt: at(DAY),
        eventTime: at(-5 * SECOND),
        flags: ['clock_skew_corrected'],
      },
      {
        label: 'clock a day behind',
        subject: SUBJECT,
        timestamp: at(-DAY - 5 * SECOND),
        sentAt: at(-DAY),
        eventTime: at(-5 * SECOND),
        flags: ['clock_skew_corrected'],
      },
      { label: 'clock 31 s off on a 30 s project', subject: SUBJECT, timestamp: at(31 * SECOND - 2 * SECOND), sentAt: at(31 * SECOND), eventTime: at(-2 * SECOND), flags: ['clock_skew_corrected'] },
      {
        label: 'clock 31 s off on a 300 s project',
        subject: 'braid.raw.snaky.web',
        timestamp: at(31 * SECOND - 2 * SECOND),
        sentAt: at(31 * SECOND),
        eventTime: at(29 * SECOND),
        flags: [],
      },
      { label: 'clock 1 ms off on a 0 s project', subject: 'braid.raw.loose.backend', timestamp: at(-10 * SECOND), sentAt: at(1), eventTime: at(-10 * SECOND - 1), flags: ['clock_skew_corrected'] },
      { label: 'no timestamp', subject: SUBJECT, timestamp: undefined, sentAt: at(DAY), eventTime: RECEIVED_ISO, flags: ['timestamp_defaulted'] },
      { label: 'timestamp two minutes in the future', subject: SUBJECT, timestamp: at(2 * MINUTE), sentAt: undefined, eventTime: RECEIVED_ISO, flags: ['future_time_clamped'] },
      { label: 'a year-old event sent just now', subject: SUBJECT, timestamp: at(-365 * DAY), sentAt: at(0), eventTime: at(-365 * DAY), flags: [] },
      { label: 'offset timestamp is stored as UTC', subject: SUBJECT, timestamp: '2026-01-31T17:29:00+05:30', sentAt: undefined, eventTime: '2026-01-31T11:59:00.000Z', flags: [] },
    ])('event time: $label', ({ subject, timestamp, sentAt, eventTime, flags }) => {
      const prepared = accepted(decode({ type: 'page', messageId: 'm', anonymousId: 'a', timestamp, sentAt }, subject));
      expect(prepared.eventTime).toBe(eventTime);
      expect(prepared.flags).toEqual(flags);
      expect(prepared.timestamp).toBe(timestamp);
    });

    it('backfill keeps the timestamp even with a skewed sentAt', () => {
      const prepared = accepted(decode(track({ timestamp: at(-400 * DAY), sentAt: at(-399 * DAY) }), SUBJECT, { backfill: true }));
      expect(prepared.eventTime).toBe(at(-400 * DAY));
      expect(prepared.flags).toEqual([]);
    });

    it.each([
      { label: 'NUL in a property value', fields: { properties: { note: 'a\u0000b' } }, check: (e: PreparedEvent) => e.properties.note, expected: 'a\uFFFDb' },
      { label: 'lone surrogate in a property key', fields: { properties: { ['k\uD800']: 1 } }, check: (e: PreparedEvent) => e.properties['k\uFFFD'], expected: 1 },
      { label: 'NUL in a trait', fields: { traits: { name: '\u0000' } }, check: (e: PreparedEvent) => e.traits.name, expected: '\uFFFD' },
      { label: 'NUL in the event name', fields: { event: 'Order\u0000 Completed' }, check: (e: PreparedEvent) => e.event, expected: 'Order\uFFFD Completed' },
      { label: 'lone surrogate in anonymousId', fields: { anonymousId: 'anon\uDC00' }, check: (e: PreparedEvent) => e.anonymousId, expected: 'anon\uFFFD' },
      { label: 'NUL deep in context', fields: { context: { app: { build: ['1', '\u0000'] } } }, check: (e: PreparedEvent) => (e.context.app as { build: string[] }).build[1], expected: '\uFFFD' },
    ])('characters_replaced: $label', ({ fields, check, expected }) => {
      const prepared = accepted(decode(track({ ...fields, timestamp: at(0) })));
      expect(check(prepared)).toBe(expected);
      expect(prepared.flags).toContain('characters_replaced');
      expect(prepared.transforms.map((t) => t.step)).toEqual(['validate', 'event_time', 'sanitize', 'naming']);
    });

    it('JSON escapes \\u0000 and \\ud800 are caught as well', () => {
      const prepared = accepted(decodeBytes(encodeText('{"type":"track","messageId":"m","anonymousId":"a","event":"Order Completed","properties":{"x":"\\u0000","y":"\\ud800"}}')));
      expect(prepared.properties).toEqual({ x: '\uFFFD', y: '\uFFFD' });
      expect(prepared.flags).toEqual(['timestamp_defaulted', 'characters_replaced']);
    });

    it('flags accumulate in a fixed order: event time, characters, naming', () => {
      const prepared = accepted(decode(track({ event: 'bad\u0000name', timestamp: at(DAY - SECOND), sentAt: at(DAY) })));
      expect(prepared.flags).toEqual(['clock_skew_corrected', 'characters_replaced', 'naming_violation:object_action_title']);
    });
  });

  describe('route option (messages that do not come from a braid.raw subject)', () => {
    it('takes project and channel from the route and keeps the subject as given', () => {
      const prepared = accepted(decode(track(), 'backfill/2026-01.jsonl:17', { route: { projectId: 'snaky', channel: 'kiosk' } }));
      expect(prepared).toMatchObject({ projectId: 'snaky', channel: 'kiosk', source: source('backfill/2026-01.jsonl:17') });
    });

    it('the route wins over a well-formed subject', () => {
      const prepared = accepted(decode(track(), 'braid.raw.acme.web', { route: { projectId: 'loose', channel: 'backend' } }));
      expect(prepared).toMatchObject({ projectId: 'loose', channel: 'backend' });
    });

    it.each([
      { route: { projectId: 'nobody', channel: 'web' }, reason: 'unknown_project' },
      { route: { projectId: 'acme', channel: 'kiosk' }, reason: 'unknown_channel' },
    ])('a route to $route.projectId/$route.channel is rejected with $reason and attributed to it', ({ route, reason }) => {
      const rejection = rejected(decode(track(), '', { route }));
      expect(rejection).toMatchObject({ reason, projectId: route.projectId, channel: route.channel, subject: null });
    });

    it('applies the same size limit', () => {
      expect(reasonOf(decodeBytes(payloadOfBytes(MAX_EVENT_BYTES + 1), '', { route: { projectId: 'acme', channel: 'web' } }))).toBe('payload_too_large');
    });
  });

  describe('keys that are special in JavaScript stay ordinary data', () => {
    it('an envelope hidden under "__proto__" is not an envelope', () => {
      // The top-level object has no own "type", "messageId" or ids: it must be rejected.
      const text = '{"__proto__":{"type":"track","messageId":"m-proto","userId":"u","event":"Order Completed"}}';
      expect(reasonOf(decodeBytes(encodeText(text)))).toBe('missing_type');
    });

    it('a "__proto__" property survives into the accepted event', () => {
      const text = '{"type":"track","messageId":"m","anonymousId":"a","event":"Order Completed","properties":{"__proto__":{"plan":"pro"},"total":1}}';
      const prepared = accepted(decodeBytes(encodeText(text)));
      expect(JSON.stringify(prepared.properties)).toBe('{"__proto__":{"plan":"pro"},"total":1}');
    });
  });

  it('is pure: the same message decodes to the same outcome', () => {
    const data = encode(track({ timestamp: at(DAY - SECOND), sentAt: at(DAY), properties: { a: '\u0000' } }));
    expect(decodeBytes(data)).toEqual(decodeBytes(data));
  });

  it('does not read the project lookup for messages rejected before it', () => {
    const seen: string[] = [];
    const spyLookup = (projectId: string) => {
      seen.push(projectId);
      return lookup(projectId);
    };
    decodeMessage({ subject: SUBJECT, data: encodeText('{'), receivedAtMs: RECEIVED, source: source() }, spyLookup);
    decodeMessage({ subject: SUBJECT, data: encode(track()), receivedAtMs: RECEIVED, source: source() }, spyLookup);
    expect(seen).toEqual(['acme']);
  });
});
