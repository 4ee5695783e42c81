import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ description: 'The field, with the index for list items', example: 'emails[3]' })
  path!: string;

  @ApiProperty({ description: 'What is wrong with it' })
  message!: string;
}

/** The single error body of the service (RFC 9457), declared once for the OpenAPI document. */
export class ProblemDetailsDto {
  @ApiProperty({ description: 'URI identifying the problem type', example: 'about:blank' })
  type!: string;

  @ApiProperty({ description: 'Short summary of the problem type' })
  title!: string;

  @ApiProperty({ description: 'HTTP status code', example: 400 })
  status!: number;

  @ApiProperty({ description: 'Explanation specific to this occurrence' })
  detail!: string;

  @ApiPropertyOptional({ description: 'The request path' })
  instance?: string;

  @ApiPropertyOptional({ description: 'Request id, also in the X-Request-Id header and the logs' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Field-level validation errors' })
  errors?: FieldErrorDto[];
}
