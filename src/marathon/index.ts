export { MarathonClient, type MarathonClientOptions, type RemoveAppResult } from './client';
export { resolveMarathonSettings, type MarathonSettings } from './config';
export { MarathonAuthError, MarathonRequestError, MarathonUnavailableError } from './errors';
