// The inspection settings (config path `enforcement.inspection`). Defaults sit beside each field; the
// README has the Setting / Env var / Default table. Parsed once, strictly; nothing here does I/O.
import { z } from 'zod';

const positiveInt = z.number().int().positive();

const signedTopicSchema = z
  .object({
    /** Topic filter whose messages must be signed. */
    filter: z.string().min(1),
    algorithm: z.enum(['hmac-sha256', 'ed25519']).default('hmac-sha256'),
    /**
     * Key id → key. HMAC: the shared secret (`base64:`/`hex:` prefix for binary). Ed25519: the public key
     * in PEM. Secret: never logged.
     */
    keys: z.record(z.string().min(1), z.string().min(1)),
    /** A message's timestamp must be within this many seconds of now; nonces are remembered this long. */
    windowS: positiveInt.default(300),
  })
  .strict();

export const inspectionConfigSchema = z
  .object({
    /** Turn payload inspection and threat tracking on or off. */
    enabled: z.boolean().default(true),
    /** Signature rule file (YAML); empty: the rules shipped in enforcement/rules/signatures.yaml. */
    rulesFile: z.string().default(''),
    /** Reload the rule file when it changes on disk. */
    watchRules: z.boolean().default(true),
    /** Quiet time after the last change before a reload, ms (editors write files in several steps). */
    reloadDebounceMs: positiveInt.default(250),
    /** Decoding rounds before matching (2 undoes double percent-encoding). */
    decodeRounds: z.number().int().min(0).max(5).default(3),
    /** Payloads larger than this are quarantined and flagged (anomaly.payload_size), bytes. */
    maxPayloadBytes: positiveInt.default(10 * 1024),
    /** PUBLISH payloads larger than this are refused outright (threat.oversized_publish), bytes. */
    maxPublishBytes: positiveInt.default(256 * 1024),
    /** Shannon entropy (bits per byte) above which a payload is flagged (anomaly.entropy). */
    entropyThreshold: z.number().min(0).max(8).default(7.5),
    /** Shortest payload judged for entropy, bytes: short payloads cannot reach high entropy honestly. */
    entropyMinBytes: positiveInt.default(256),
    /** CONNECTs per second from one IP above which connects are refused and flagged (anomaly.connect_rate). */
    connectRatePerS: positiveInt.default(100),
    /** Seconds over the connect rate, within `connectFloodWindowS`, that make a CONNECT flood. */
    connectFloodSeconds: positiveInt.default(3),
    connectFloodWindowS: positiveInt.default(10),
    /** Smoothing factor of the per-client moving averages (0–1; higher follows faster). */
    baselineAlpha: z.number().gt(0).lt(1).default(0.1),
    /** Samples (messages for size, seconds for rate) before a client's baseline is trusted. */
    baselineWarmup: positiveInt.default(30),
    /** Flag a payload this many times larger than the client's average size. */
    baselineSizeFactor: z.number().gt(1).default(8),
    /** …but never below this size, bytes. */
    baselineMinSizeBytes: positiveInt.default(1024),
    /** Flag a one-second publish count this many times the client's average rate. */
    baselineRateFactor: z.number().gt(1).default(10),
    /** …but never below this many messages per second. */
    baselineMinRatePerS: positiveInt.default(20),
    /** Distinct subscription filters per client within `enumerationWindowS` that count as enumeration. */
    enumerationMaxFilters: positiveInt.default(50),
    enumerationWindowS: positiveInt.default(10),
    /** Filters that are enumeration by themselves. */
    enumerationFilters: z.array(z.string()).default(['#', '+/#', '$SYS/#', '$SYS/+', '+/+/#']),
    /** QoS 1/2 PUBLISH per second per client above which they are dropped (threat.qos_flood). */
    qosFloodPerS: positiveInt.default(500),
    /** PUBREC/PUBREL/DUP repeats for one packet id within `qos2LoopWindowS` that make a loop. */
    qos2LoopRepeats: positiveInt.default(5),
    qos2LoopWindowS: positiveInt.default(30),
    /** Retained PUBLISH denied by the ACL within a minute before the session is treated as abusive (disconnect). */
    retainAbuseDisconnectAfter: positiveInt.default(10),
    /** Refuse a client id already connected from another IP or certificate (threat.stolen_client_id). */
    detectStolenClientId: z.boolean().default(true),
    /** Refuse a certificate already in use from another IP (threat.cloned_certificate). */
    detectClonedCertificate: z.boolean().default(true),
    /** Topics whose messages must carry a nonce and a signature. */
    signedTopics: z.array(signedTopicSchema).default([]),
    /** Nonces remembered at most (oldest forgotten first; the window then shrinks, never opens). */
    maxNonces: positiveInt.default(200_000),
    /** This deployment's bridge hop marker; a message already carrying it is a loop. Empty: off. */
    hopId: z.string().default(''),
    /** MQTT 5 user property (and JSON envelope field on 3.1.1) that carries hop markers. */
    hopProperty: z.string().min(1).default('sentinel-hop'),
    /** Upper bound of clients and IPs tracked by each tracker. */
    maxTrackedClients: positiveInt.default(100_000),
    maxTrackedIps: positiveInt.default(100_000),
  })
  .strict()
  .prefault({});

export type InspectionConfig = z.output<typeof inspectionConfigSchema>;
export type SignedTopicConfig = z.output<typeof signedTopicSchema>;

/** Defaults merged with `partial` and validated (tests and embedders). */
export function inspectionConfig(partial: z.input<typeof inspectionConfigSchema> = {}): InspectionConfig {
  return inspectionConfigSchema.parse(partial);
}
