export const MAX_KEY_LENGTH = 65535;
