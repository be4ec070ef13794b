// Component tests: unmount after each test and start each from an empty session and location.
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  // the contract test runs in node (the api it loads needs node's URL): no DOM to clean there
  if (typeof window === 'undefined') return;
  cleanup();
  vi.unstubAllGlobals();
  window.sessionStorage.clear();
  window.location.hash = '';
});
