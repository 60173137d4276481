"""Rule groups as Prometheus 2.42 evaluates them, over a whole evaluation grid at once.

loader      rule files -> RuleGroup (strict, every problem with file:line:col)
group       evaluate_rule_groups(groups, storage, grid, ...) -> RulesEvaluation
alerting    the alert state machine over an alert's presence mask (alert_history)
outputs     what rules write: recorded series, stale markers, RuleEvaluationError
queries     the query functions rules are handed and what Prometheus does around them
visibility  which rule outputs a reader sees, and never a sample from the future
templates   alert label/annotation expansion through common.gotemplate
model       the shared dataclasses (RuleGroup, AlertTimeline, ...)
"""
