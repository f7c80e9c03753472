/** What is wrong with one declared task (the domain side of DeclarationIssue in the proto). */
export const IssueCode = {
  INVALID: "INVALID",
  DUPLICATE: "DUPLICATE",
  OWNED_ELSEWHERE: "OWNED_ELSEWHERE",
  CYCLE: "CYCLE",
  UNRESOLVED: "UNRESOLVED",
  VERSION: "VERSION",
} as const;
export type IssueCode = (typeof IssueCode)[keyof typeof IssueCode];

export interface DeclarationIssue {
  /** Empty when the issue concerns the whole message. */
  readonly taskId: string;
  readonly code: IssueCode;
  readonly message: string;
}
