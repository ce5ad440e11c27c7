import { gone } from "@/lib/gone";

export const POST = gone;
