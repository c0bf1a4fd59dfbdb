/** What one adversarial call did, as the child process reports it to the test. */
export interface Outcome {
  /** 'threw' (or rejected) or 'returned'. */
  status: 'threw' | 'returned';
  /** The thrown value is a FlowmatchError with a string code and a non-empty message. */
  typed: boolean;
  /** The thrown value is the very error a hostile getter or callback of the case threw. */
  userError: boolean;
  name: string;
  code: string;
  message: string;
  /** Live tensors (memory(), all devices) after the call minus before it. */
  leaked: number;
}

/** Totals of one fuzz batch. */
export interface FuzzStats {
  calls: number;
  typed: number;
  returned: number;
  userErrors: number;
  untyped: number;
  leaked: number;
  /** The first few offending calls, each described well enough to reproduce it. */
  samples: string[];
}

/** Messages from the parent to a child. */
export type Job = { suite: 'cases' | 'fuzz' | 'probes'; start: number; end: number; seed: number };

/** A child's answer to one job. */
export type Reply = { suite: 'cases' | 'probes'; outcomes: Outcome[] } | { suite: 'fuzz'; stats: FuzzStats };
