/** Picks the TimeSeriesStore adapter from the config: ClickHouse when CLICKHOUSE_URL is set, else the relational Db. */
import type { Config } from '../../config';
import type { Db } from './db';
import { ClickHouseTimeSeriesStore } from './adapters/clickhouse-timeseries';
import { PgTimeSeriesStore } from './adapters/pg-timeseries';
import type { TimeSeriesStore } from './timeseries';

export function createTimeSeriesStore(cfg: Config, db: Db): TimeSeriesStore {
  return cfg.clickhouseUrl ? new ClickHouseTimeSeriesStore({ url: cfg.clickhouseUrl }) : new PgTimeSeriesStore(db);
}
