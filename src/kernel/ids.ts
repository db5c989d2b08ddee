import { v7 } from 'uuid';

/** Time-ordered UUIDv7, generated in the app so inserts need no database round trip for ids. */
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
