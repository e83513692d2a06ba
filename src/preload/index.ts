/** Preload: exposes the api contract to the page through contextBridge, nothing else. */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('cadenzaInfo', { platform: process.platform });
