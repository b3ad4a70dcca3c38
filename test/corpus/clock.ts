/** The fixed "now" the labelled corpus is judged against (2026-05-20T00:00:00Z). */
export const NOW_SECONDS = Date.UTC(2026, 4, 20) / 1000;
export const DAY = 86400;
