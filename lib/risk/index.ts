/** Pure risk mathematics: returns, performance ratios, drawdown, VaR/ES, sizing, stress. */
export * from './returns';
export * from './performance';
export * from './normal';
export * from './random';
export * from './var';
export * from './sizing';
export * from './stress';
export * from './summary';
export * from './limits';
export * from './checks';
export * from './decision-sizing';
