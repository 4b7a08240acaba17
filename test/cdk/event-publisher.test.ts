import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventPublisher } from '../../lib/event-publisher';
import { KeyTable } from '../../lib/key-table';
import { testApp } from '../support/cdk';

/** An EventPublisher over a key table of its own. */
function synth() {
  const app = testApp();
  const stack = new Stack(app, 'Publisher');
  new EventPublisher(stack, 'Events', { table: new KeyTable(stack, 'Keys') });
  return { app, template: Template.fromStack(stack) };
}

describe('EventPublisher', () => {
  const { app, template } = synth();

  it('halves a failing batch and checkpoints partial successes, so a poison record blocks only itself', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
