/** Exit code of a start refused for configuration: a setting, the schema, or a secret is wrong (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Exit code of a start refused because a backend was unreachable after retries (sysexits EX_UNAVAILABLE). */
export const EXIT_UNAVAILABLE = 69;
