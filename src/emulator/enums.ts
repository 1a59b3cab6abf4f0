import {
  DisconnectReason,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  TrackSource,
  TrackType,
} from '@livekit/protocol';

/** ParticipantInfo.Kind names, e.g. `STANDARD`, `AGENT`, `EGRESS`. */
export type ParticipantKindName = keyof typeof ParticipantInfo_Kind;
/** ParticipantInfo.State names: `JOINING`, `JOINED`, `ACTIVE`, `DISCONNECTED`. */
export type ParticipantStateName = keyof typeof ParticipantInfo_State;
/** DisconnectReason names, e.g. `CLIENT_INITIATED`, `CONNECTION_TIMEOUT`. */
export type DisconnectReasonName = keyof typeof DisconnectReason;
export type TrackSourceName = keyof typeof TrackSource;
export type TrackTypeName = keyof typeof TrackType;

function parseEnumName<E extends Record<string, string | number>>(
  enumObject: E,
  name: unknown,
): E[keyof E] | undefined {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(enumObject, name))
    return undefined;
  const value = enumObject[name as keyof E];
  return typeof value === 'number' ? value : undefined;
}

export const parseKind = (name: unknown): ParticipantInfo_Kind | undefined =>
  parseEnumName(ParticipantInfo_Kind, name);
export const parseState = (name: unknown): ParticipantInfo_State | undefined =>
  parseEnumName(ParticipantInfo_State, name);
export const parseDisconnectReason = (name: unknown): DisconnectReason | undefined =>
  parseEnumName(DisconnectReason, name);
export const parseTrackSource = (name: unknown): TrackSource | undefined =>
  parseEnumName(TrackSource, name);
export const parseTrackType = (name: unknown): TrackType | undefined =>
  parseEnumName(TrackType, name);

/** Agents and egress recorders don't keep a room open (`IsDependent` in livekit `pkg/rtc`). */
export function isDependentKind(kind: ParticipantInfo_Kind): boolean {
  return kind === ParticipantInfo_Kind.AGENT || kind === ParticipantInfo_Kind.EGRESS;
}
