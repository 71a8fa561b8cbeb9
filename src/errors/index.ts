export * from './pxfw-error';
