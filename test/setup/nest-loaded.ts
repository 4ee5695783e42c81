// CommonJS Nest libraries (@nestjs-modules/mailer, @nestjs/throttler) `require` the ESM-only
// @nestjs/common and @nestjs/core. Under Jest that works only once both are already evaluated;
// otherwise Jest reports "Cannot require() ES Module … in a cycle".
import '@nestjs/common';
import '@nestjs/core';
