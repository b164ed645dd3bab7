import { createContext, useContext } from 'react';

/** Bumped when the saved API key changes, so pages that load data load it again with the new key. */
export const KeyVersion = createContext(0);
export const useKeyVersion = () => useContext(KeyVersion);
