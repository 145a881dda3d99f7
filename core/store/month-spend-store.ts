import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite } from './dynamodb-client';
import { CALLS_TABLE, type TableNames } from './tables';

/**
 * The month's estimated OpenAI spend, kept as one item of the calls table (`spend#YYYY-MM`, with
 * none of the attributes the indexes are keyed on, so no listing shows it): what the budget alarm
 * watches. CloudWatch cannot sum a metric over a calendar month (an alarm looks back seven days at
 * most: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html),
 * so the delivery Lambda adds each call here and reports the total.
 */
export class MonthSpendStore {
  private readonly tableName: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls'>,
  ) {
    this.tableName = tables.calls;
  }

  /**
   * Adds a call's cost to its month once (the call's record is marked, so a repeated delivery
   * message counts nothing); the month's total after it, or undefined when the call was counted
   * before. A crash between the two writes leaves the call uncounted: the total is an estimate.
   */
  async add(callId: string, month: string, usd: number): Promise<number | undefined> {
    const marked = await conditionalWrite(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: 'SET spendCountedIn = :month',
        ConditionExpression: 'attribute_exists(callId) AND attribute_not_exists(spendCountedIn)',
        ExpressionAttributeValues: { ':month': month },
      }),
    );
    if (!marked.written) return undefined;
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId: `spend#${month}` },
        UpdateExpression: 'ADD spendUsd :usd, calls :one SET #ttl = if_not_exists(#ttl, :expires)',
        ExpressionAttributeNames: { '#ttl': CALLS_TABLE.ttlAttribute },
        // Kept a year past the month, then expired like any record.
        ExpressionAttributeValues: { ':usd': usd, ':one': 1, ':expires': Math.floor(Date.parse(`${month}-01T00:00:00Z`) / 1000) + 400 * 86400 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.spendUsd ?? usd);
  }
}
