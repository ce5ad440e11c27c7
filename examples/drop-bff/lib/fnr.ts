/**
 * Norwegian national identity numbers (fødselsnummer and its variants), validated in full, as
 * Skatteetaten describes them: 11 digits, DDMMYY + individual number + two mod-11 control digits;
 * the century from the individual number; D-numbers (day + 40), H-numbers and NAV synthetic
 * numbers (month + 40), Tenor synthetic numbers (month + 80), FH-numbers (first digit 8 or 9, no
 * date); and the wider k1 rule for numbers issued from 2032, which every system must accept.
 *
 * The value is judged exactly as received: a space, a hyphen or a non-ASCII digit makes it invalid.
 */
export type NninKind = "fnr" | "dnr" | "hnr" | "hnr-dnr" | "tenor" | "tenor-dnr" | "fh";

export interface YMD {
  year: number;
  month: number;
  day: number;
}

export type NninResult =
  | { valid: true; kind: NninKind; rule2032: boolean; birthdate: YMD | null }
  | { valid: false; reason: string };

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function weighted(digits: number[], weights: number[]): number {
  return weights.reduce((sum, w, i) => sum + w * digits[i], 0);
}

function century(individual: number, yy: number): number | null {
  if (individual <= 499) return 1900;
  if (individual <= 749 && yy >= 54) return 1800;
  if (individual >= 500 && yy < 40) return 2000;
  if (individual >= 900 && yy >= 40) return 1900;
  return null;
}

function isRealDate({ year, month, day }: YMD): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

export function compareYMD(a: YMD, b: YMD): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function validateNnin(value: unknown, today: YMD): NninResult {
  if (typeof value !== "string" || !/^[0-9]{11}$/.test(value)) {
    return { valid: false, reason: "not 11 digits" };
  }
  const d = [...value].map(Number);
  // k1: the classic rule leaves remainder 0; the 2032 rule also allows 1, 2 or 3.
  const r1 = (weighted(d, K1) + d[9]) % 11;
  if (r1 > 3) return { valid: false, reason: "control digit k1 is wrong" };
  if ((weighted(d, K2) + d[10]) % 11 !== 0) return { valid: false, reason: "control digit k2 is wrong" };
  const rule2032 = r1 !== 0;

  if (d[0] >= 8) return { valid: true, kind: "fh", rule2032, birthdate: null }; // FH: no date by design

  let day = d[0] * 10 + d[1];
  let month = d[2] * 10 + d[3];
  const yy = d[4] * 10 + d[5];
  const dnr = day > 40;
  if (dnr) day -= 40;
  let base: "fnr" | "hnr" | "tenor" = "fnr";
  if (month > 80) {
    base = "tenor";
    month -= 80;
  } else if (month > 40) {
    base = "hnr";
    month -= 40;
  }
  const kind = (dnr ? (base === "fnr" ? "dnr" : `${base}-dnr`) : base) as NninKind;
  const c = century(d[6] * 100 + d[7] * 10 + d[8], yy);
  if (c === null) return { valid: false, reason: "the individual number belongs to no century" };
  const birthdate = { year: c + yy, month, day };
  if (!isRealDate(birthdate)) return { valid: false, reason: "the date does not exist" };
  if (compareYMD(birthdate, today) > 0) return { valid: false, reason: "born in the future" };
  return { valid: true, kind, rule2032, birthdate };
}

/** Today's date in Europe/Oslo: an age gate judged on the UTC date is wrong for two hours a day. */
export function osloToday(now: Date = new Date()): YMD {
  const [year, month, day] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Oslo" })
    .format(now)
    .split("-")
    .map(Number);
  return { year, month, day };
}

/** Whole years, one more on the birthday; born 29 Feb: the birthday is 1 March in other years. */
export function ageOn(birth: YMD, today: YMD): number {
  const before = today.month < birth.month || (today.month === birth.month && today.day < birth.day);
  return today.year - birth.year - (before ? 1 : 0);
}

export function parseYMD(value: unknown): YMD | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const [year, month, day] = value.split("-").map(Number);
  const ymd = { year, month, day };
  return isRealDate(ymd) ? ymd : null;
}
