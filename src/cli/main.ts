import 'reflect-metadata';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/config.schema.js';
import { withCliContext } from './cli-context.js';
import { bootstrap, createRole, personalAccessToken, token } from './commands.js';
import {
  CliUsageError,
  organisationName,
  ownerEmail,
  patExpiry,
  patNote,
  roleDescription,
  roleName,
  ttlSeconds,
  uuid,
} from './input.js';
import type { PatExpiry } from '../personal-access-tokens/personal-access-token-expiry.js';
/** Commander reports a parser's InvalidArgumentError as "option '--x' argument 'y' is invalid". */
function parsedWith<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function option<T>(flags: string, description: string, parse: (value: string) => T): Option {
  return new Option(flags, description).argParser(parsedWith(parse)).makeOptionMandatory();
}

const ttlOption = () =>
  new Option('--ttl <duration>', 'lifetime of the token, e.g. 30m, 1h, 7d (at most 30d)')
    .argParser(parsedWith(ttlSeconds))
    .default(3600, '1h');

const program = new Command('brms-api')
  .description(
    'Operator commands for brms-api, on the database the server uses: DATABASE_URL, or the ' +
      'embedded PostgreSQL in .data/ (the one `npm start` runs, when it runs). Results go to ' +
      'stdout, everything else to stderr.',
  )
  .showHelpAfterError();

program
  .command('bootstrap')
  .description(
    'Create an organisation with its owner; prints {"organisationId","userId","token"} as JSON',
  )
  .addOption(option('--org <name>', 'organisation name', organisationName))
  .addOption(option('--owner <email>', "owner's email (an existing user is reused)", ownerEmail))
  .addOption(ttlOption())
  .action(async (options: { org: string; owner: string; ttl: number }) => {
    const result = await withCliContext((context) =>
      bootstrap(context, { org: options.org, owner: options.owner, ttlSeconds: options.ttl }),
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });

program
  .command('token')
  .description(
    'Mint an internal token for an active member, or with --pat a personal access token ' +
      '(Authorization: Bearer); prints the token',
  )
  .addOption(option('--org <id>', 'organisation id', uuid))
  .addOption(option('--user <id>', 'user id', uuid))
  .addOption(ttlOption().conflicts('pat'))
  .addOption(
    new Option(
      '--pat',
      'mint a personal access token (Authorization: Bearer) instead, revocable through the API',
    ),
  )
  .addOption(
    new Option('--note <text>', 'with --pat: the token note (1-100 characters)')
      .argParser(parsedWith(patNote))
      .default('CLI'),
  )
  .addOption(
    new Option('--expiry <period>', 'with --pat: week, month, three_months, year or indefinite')
      .argParser(parsedWith(patExpiry))
      .default('month'),
  )
  .action(
    async (options: {
      org: string;
      user: string;
      ttl: number;
      pat?: boolean;
      note: string;
      expiry: PatExpiry;
    }) => {
      const { org, user } = options;
      const minted = await withCliContext((context) =>
        options.pat
          ? personalAccessToken(context, { org, user, note: options.note, expiry: options.expiry })
          : token(context, { org, user, ttlSeconds: options.ttl }),
      );
      process.stdout.write(`${minted}\n`);
    },
  );

program
  .command('role')
  .description('Roles of an organisation, which updateUser assigns to its members')
  .command('create')
  .description('Create a role; prints its id')
  .addOption(option('--org <id>', 'organisation id', uuid))
  .addOption(option('--name <name>', 'role name, unique in the organisation in any case', roleName))
  .addOption(
    new Option('--description <text>', 'what the role is for').argParser(
      parsedWith(roleDescription),
    ),
  )
  .action(async (options: { org: string; name: string; description?: string }) => {
    const id = await withCliContext((context) =>
      createRole(context, {
        org: options.org,
        name: options.name,
        description: options.description || null,
      }),
    );
    process.stdout.write(`${id}\n`);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CliUsageError || error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
});
