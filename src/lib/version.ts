/** The suite's version, sent in every AWS request's user agent. Checked against package.json by a test. */
export const VERSION = '0.1.0';
export const USER_AGENT_NAME = 'fargate-delivery';
