export type { FaultImages } from './images.js';
export { generateFaultImages, syntheticPixels } from './images.js';
export type { FaultServer, FaultServerOptions, Presence, RequestLogEntry } from './server.js';
export { startFaultServer } from './server.js';
export type { StubLookup } from './stub-lookup.js';
export { createStubLookup } from './stub-lookup.js';
export type { TunnelProxy } from './tunnel-proxy.js';
export { startTunnelProxy } from './tunnel-proxy.js';
