export { MarathonClient, type MarathonClientOptions, type RemoveAppResult } from './client';
export { defaultMarathonSettings, resolveMarathonSettings, setDefaultMarathonSettings, type MarathonSettings } from './config';
export { MarathonAuthError, MarathonRequestError, MarathonUnavailableError } from './errors';
