import { ParseUUIDPipe } from '@nestjs/common';

/** Any UUID version in a path parameter; anything else is a 400 naming the parameter. */
export const uuidParam = new ParseUUIDPipe({ version: undefined });
