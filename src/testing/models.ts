// Internal records of the emulator's world, mostly in Monzo's JSON shape.
import type { EmulatorClient } from "./types.ts";

/** A Monzo user. */
export interface User {
  id: string;
  name: string;
  firstName: string;
  email: string;
}

/** An OAuth client. */
export interface Client extends EmulatorClient {
  name: string;
}

/** An account owner as listed in `owners`. */
export interface Owner {
  user_id: string;
  preferred_name: string;
  preferred_first_name: string;
}

/** An account, in the shape `GET /accounts` returns. */
export interface Account {
  id: string;
  description: string;
  created: string;
  closed: boolean;
  type: string;
  currency: string;
  country_code: string;
  country_code_alpha3: string;
  owners: Owner[];
  account_number: string;
  sort_code: string;
  payment_details: {
    locale_uk: { account_number: string; sort_code: string };
    iban: {
      unformatted: string;
      formatted: string;
      bic: string;
      usage_description: string;
      usage_description_web: string;
    };
  };
  owner_type: string;
  is_flex: boolean;
  product_type: string;
  closed_account_app_access: boolean;
  legal_entity: string;
}

/** A pot, in the shape `GET /pots` returns. */
export interface Pot {
  id: string;
  name: string;
  style: string;
  balance: number;
  currency: string;
  created: string;
  updated: string;
  deleted: boolean;
  type: string;
  goal_amount: number | null;
  current_account_id: string;
  product_id: string;
  cover_image_url: string;
  isa_wrapper: string;
  round_up: boolean;
  round_up_multiplier: number | null;
  is_tax_pot: boolean;
  locked: boolean;
  locked_until?: string;
  available_for_bills: boolean;
  has_virtual_cards: boolean;
  /** The pot's backing account (`acc_…`): `GET /transactions` lists the pot's statement. */
  pot_account_id: string;
}

/** A merchant, in the shape `expand[]=merchant` returns. */
export interface Merchant {
  id: string;
  group_id: string;
  name: string;
  logo: string;
  emoji: string;
  category: string;
  created: string;
  online: boolean;
  atm: boolean;
  disable_feedback: boolean;
  metadata: Record<string, string>;
  address: {
    address: string;
    city: string;
    region: string;
    country: string;
    postcode: string;
    latitude: number;
    longitude: number;
    formatted: string;
    short_formatted: string;
    zoom_level: number;
    approximate: boolean;
  };
}

/** Whether `userId` owns `account`. */
export function isOwner(account: Account, userId: string): boolean {
  return account.owners.some((owner) => owner.user_id === userId);
}
