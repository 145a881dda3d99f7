import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryAttempt } from '../delivery/delivery-plan';
import { conditionalWrite } from './dynamodb-client';
import type { TableNames } from './tables';

/**
 * The attempts to deliver a call, kept on its record (`deliveries`, in order). Written by the
 * sender after each attempt; the change does not make the record a new delivery (the calls
 * table's stream passes on only a change of outcome, lib/constructs/call-deliveries.ts).
 */
export class CallDeliveriesStore {
  private readonly tableName: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls'>,
  ) {
    this.tableName = tables.calls;
  }

  /** Appends one attempt; false when the record is gone (expired). */
  async record(callId: string, attempt: DeliveryAttempt): Promise<boolean> {
    const update = await conditionalWrite(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: 'SET deliveries = list_append(if_not_exists(deliveries, :none), :attempt)',
        ConditionExpression: 'attribute_exists(callId)',
        ExpressionAttributeValues: { ':none': [], ':attempt': [attempt] },
      }),
    );
    return update.written;
  }
}
