import 'reflect-metadata';
import { IsInt, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { IsInviteEmail } from '../invitations/dto/invite-email.validator.js';
import { ProblemException } from './problem.js';
import { AppValidationPipe, withElementProblem } from './validation.js';

class Sample {
  @IsInt()
  @Min(1)
  count!: number;
}

const shortWordProblem = (value: unknown) =>
  typeof value === 'string' && value.length <= 3 ? undefined : 'must be at most 3 characters';

const IsShortWord = (options: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isShortWord',
      validator: {
        validate: (value) => shortWordProblem(value) === undefined,
        defaultMessage: () => 'must hold short words',
      },
    },
    options,
  );

class Words {
  @IsShortWord(withElementProblem({ each: true }, shortWordProblem))
  named!: string[];

  @IsShortWord({ each: true })
  unnamed!: string[];
}

class Invitees {
  @IsInviteEmail({ each: true })
  emails!: string[];
}

describe('AppValidationPipe', () => {
  const pipe = new AppValidationPipe();

  it('hands a custom decorator its value back as it is', async () => {
    const principal = { userId: 'u', organisationId: 'o' };
    const answer: unknown = await pipe.transform(principal, { type: 'custom', metatype: Object });
    expect(answer).toBe(principal);
  });

  it('still converts primitive query parameters', async () => {
    expect(await pipe.transform('5', { type: 'query', metatype: Number, data: 'limit' })).toBe(5);
  });

  it('validates a body into its class, and refuses one that is not an object', async () => {
    await expect(
      pipe.transform({ count: 2 }, { type: 'body', metatype: Sample }),
    ).resolves.toBeInstanceOf(Sample);
    await expect(pipe.transform([], { type: 'body', metatype: Sample })).rejects.toBeInstanceOf(
      ProblemException,
    );
    await expect(
      pipe.transform({ count: 0, extra: 1 }, { type: 'body', metatype: Sample }),
    ).rejects.toMatchObject({
      problem: {
        errors: [
          { path: 'extra', message: 'extra is not an allowed property' },
          { path: 'count', message: 'count must not be less than 1' },
        ],
      },
    });
  });

  it('names each failing element of a constraint that carries its element problem', async () => {
    const words = ['ok', 'toolong', 'abc', 'nope!'];
    await expect(
      pipe.transform({ named: words, unnamed: words }, { type: 'body', metatype: Words }),
    ).rejects.toMatchObject({
      problem: {
        errors: [
          { path: 'named[1]', message: 'must be at most 3 characters' },
          { path: 'named[3]', message: 'must be at most 3 characters' },
          // Without one, the constraint answers once for the whole list.
          { path: 'unnamed', message: 'must hold short words' },
        ],
      },
    });
  });

  it('names the index of each address IsInviteEmail refuses, with its reason', async () => {
    await expect(
      pipe.transform(
        { emails: ['a@example.com', 'not an address', ''] },
        { type: 'body', metatype: Invitees },
      ),
    ).rejects.toMatchObject({
      problem: {
        errors: [
          { path: 'emails[1]', message: 'must be a valid email address' },
          { path: 'emails[2]', message: 'must not be empty' },
        ],
      },
    });
  });
});
