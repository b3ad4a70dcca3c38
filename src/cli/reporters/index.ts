/** Report rendering entry point for `hostplane guard --format`. */
import type { GuardReport } from "../../guard/report.js";
import { renderJson } from "./json.js";
import { renderSarif } from "./sarif.js";
import { renderText } from "./text.js";

export type ReportFormat = "text" | "json" | "sarif";

export const REPORT_FORMATS: readonly ReportFormat[] = ["text", "json", "sarif"];

/** Renders a report; `color` only affects the text format. Output ends with a newline. */
export function renderReport(format: ReportFormat, report: GuardReport, options: { color: boolean }): string {
  switch (format) {
    case "text":
      return renderText(report, options);
    case "json":
      return renderJson(report);
    case "sarif":
      return renderSarif(report);
  }
}
