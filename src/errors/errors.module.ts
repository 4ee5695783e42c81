import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { AppValidationPipe } from './validation.js';

/** One error body for the whole service: the filter and the validation pipe, registered once. */
@Module({
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useClass: AppValidationPipe },
  ],
})
export class ErrorsModule {}
