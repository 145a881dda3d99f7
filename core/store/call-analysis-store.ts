import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnalysisRecord } from '../analysis/analysis-plan';
import { conditionalWrite } from './dynamodb-client';
import type { TableNames } from './tables';

/**
 * A call's analysis, kept on its record (`analysis`): written after each attempt, replaced by
 * the next. Like the delivery attempts, the change is no new delivery (the stream passes on only
 * a change of outcome).
 */
export class CallAnalysisStore {
  private readonly tableName: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls'>,
  ) {
    this.tableName = tables.calls;
  }

  /** False when the record is gone (expired). */
  async record(callId: string, analysis: AnalysisRecord): Promise<boolean> {
    const update = await conditionalWrite(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: 'SET analysis = :analysis',
        ConditionExpression: 'attribute_exists(callId)',
        ExpressionAttributeValues: { ':analysis': analysis },
      }),
    );
    return update.written;
  }
}
