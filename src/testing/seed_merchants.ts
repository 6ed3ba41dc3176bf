// The merchants of the seeded history: real London places and online services.
import type { Random } from "./_random.ts";
import { isoSeconds } from "./_time.ts";
import type { Merchant } from "./models.ts";

type Row = [
  name: string,
  category: string,
  emoji: string,
  handle: string,
  street: string,
  postcode: string,
  latitude: number,
  longitude: number,
];

const ONLINE = "";

// An empty street marks an online merchant.
// deno-fmt-ignore
const ROWS: Row[] = [
  ["Tesco", "groceries", "🛒", "tesco", "22 Kingsland High St", "E8 2JP", 51.5466, -0.0755],
  ["Sainsbury's", "groceries", "🛒", "sainsburys", "1 Dalston Cross", "E8 3DL", 51.5453, -0.0749],
  ["Waitrose & Partners", "groceries", "🛒", "waitrose", "Islington Green", "N1 8DU", 51.5366, -0.1033],
  ["Lidl", "groceries", "🛒", "lidlgb", "197 Kingsland Rd", "E2 8AJ", 51.5343, -0.077],
  ["Aldi", "groceries", "🛒", "aldiuk", "7 Hepscott Rd", "E9 5EN", 51.5434, -0.0245],
  ["M&S Simply Food", "groceries", "🥪", "marksandspencer", "Liverpool Street Station", "EC2M 7PY", 51.5178, -0.0823],
  ["Co-op Food", "groceries", "🛒", "coopuk", "Stoke Newington Church St", "N16 0LU", 51.5626, -0.0794],
  ["Whole Foods Market", "groceries", "🥑", "wholefoods", "63-97 Kensington High St", "W8 5SE", 51.5009, -0.1925],
  ["Ocado", "groceries", "🚚", "ocado", ONLINE, "", 51.7637, -0.2307],
  ["Pret A Manger", "eating_out", "☕", "pret", "75b Victoria St", "SW1H 0HW", 51.4974, -0.1357],
  ["Costa Coffee", "eating_out", "☕", "costacoffee", "Old Street Station", "EC1Y 1BE", 51.5256, -0.0876],
  ["Starbucks", "eating_out", "☕", "starbucksuk", "1 Moorgate", "EC2R 6AR", 51.5177, -0.089],
  ["Ozone Coffee Roasters", "eating_out", "☕", "ozonecoffeeuk", "11 Leonard St", "EC2A 4AQ", 51.5255, -0.084],
  ["The De Beauvoir Deli Co.", "eating_out", "🍞", "deBeauvoirDeli", "98 Southgate Road", "N1 3JD", 51.54151, -0.084824],
  ["Monmouth Coffee", "eating_out", "☕", "monmouthcoffee", "2 Park St", "SE1 9AB", 51.5054, -0.0911],
  ["Nando's", "eating_out", "🍗", "nandos", "148 Kingsland High St", "E8 2NS", 51.5489, -0.0757],
  ["Dishoom", "eating_out", "🍛", "dishoom", "7 Boundary St", "E2 7JE", 51.5246, -0.0768],
  ["Wagamama", "eating_out", "🍜", "wagamama", "1 Clove Crescent", "E14 2BA", 51.5113, -0.0038],
  ["LEON", "eating_out", "🥗", "leon", "3 Crispin Place", "E1 6DW", 51.5197, -0.0752],
  ["Franco Manca", "eating_out", "🍕", "francomanca", "4 Market Row", "SW9 8LD", 51.4622, -0.1125],
  ["Honest Burgers", "eating_out", "🍔", "honestburgers", "12 Brixton Village", "SW9 8PR", 51.4623, -0.1118],
  ["itsu", "eating_out", "🍣", "itsu", "118 Cheapside", "EC2V 6DN", 51.5142, -0.0935],
  ["Greggs", "eating_out", "🥐", "GreggsOfficial", "230 Mare St", "E8 1HE", 51.5452, -0.0553],
  ["Transport for London", "transport", "🚇", "tfl", "55 Broadway", "SW1H 0BD", 51.4994, -0.1339],
  ["Uber", "transport", "🚕", "uber", ONLINE, "", 51.5072, -0.1276],
  ["Trainline", "transport", "🚆", "thetrainline", ONLINE, "", 51.5072, -0.1276],
  ["Santander Cycles", "transport", "🚲", "santandercycles", "Finsbury Square", "EC2A 1AD", 51.5209, -0.0865],
  ["Shell", "transport", "⛽", "shell", "310 Holloway Rd", "N7 6NJ", 51.5561, -0.1176],
  ["Lime", "transport", "🛴", "limebike", ONLINE, "", 51.5072, -0.1276],
  ["Thames Water", "bills", "💧", "thameswater", ONLINE, "", 51.4543, -0.9781],
  ["Octopus Energy", "bills", "⚡", "octopus_energy", ONLINE, "", 51.5072, -0.1276],
  ["EE", "bills", "📱", "EE", ONLINE, "", 51.5072, -0.1276],
  ["Hyperoptic", "bills", "🌐", "hyperoptic", ONLINE, "", 51.5072, -0.1276],
  ["Hackney Council", "bills", "🏛️", "hackneycouncil", "1 Hillman St", "E8 1DY", 51.5448, -0.0557],
  ["TV Licensing", "bills", "📺", "tvlicensing", ONLINE, "", 51.4545, -2.5879],
  ["Netflix", "entertainment", "🎬", "netflix", ONLINE, "", 51.5072, -0.1276],
  ["Spotify", "entertainment", "🎧", "spotify", ONLINE, "", 51.5072, -0.1276],
  ["Everyman Cinema", "entertainment", "🍿", "everymancinema", "83 Upper St", "N1 0NP", 51.5381, -0.1028],
  ["Rough Trade East", "entertainment", "💿", "roughtrade", "91 Brick Lane", "E1 6QL", 51.5215, -0.0718],
  ["Amazon", "shopping", "📦", "amazon", ONLINE, "", 51.5072, -0.1276],
  ["Boots", "shopping", "💊", "bootsuk", "2 Kingsland High St", "E8 2JP", 51.5459, -0.0752],
  ["John Lewis & Partners", "shopping", "🛍️", "johnlewisretail", "300 Oxford St", "W1C 1DX", 51.5152, -0.1447],
  ["Uniqlo", "shopping", "👕", "uniqlo_uk", "311 Oxford St", "W1C 2HP", 51.5149, -0.1436],
  ["Waterstones", "shopping", "📚", "waterstones", "203 Piccadilly", "W1J 9HD", 51.5088, -0.1366],
  ["easyJet", "holidays", "✈️", "easyjet", ONLINE, "", 51.8787, -0.3761],
  ["Airbnb", "holidays", "🏠", "airbnb", ONLINE, "", 51.5072, -0.1276],
  ["Notemachine", "cash", "🏧", "notemachine", "1 Dalston Lane", "E8 3DF", 51.5461, -0.0739],
  ["Post Office", "general", "✉️", "postoffice", "118 Mare St", "E8 3SG", 51.5383, -0.0575],
];

/** Builds the merchant catalogue; ids are created at `createdMs` (before any transaction). */
export function buildMerchants(rng: Random, createdMs: number): Merchant[] {
  return ROWS.map(([name, category, emoji, handle, street, postcode, latitude, longitude]) => {
    const online = street === ONLINE;
    const city = online ? "" : "London";
    const created = createdMs - rng.int(0, 1000) * 86_400_000;
    return {
      id: rng.id("merch", created),
      group_id: rng.id("grp", created),
      name,
      logo: `https://mondo-logo-cache.appspot.com/twitter/${handle}/?size=large`,
      emoji,
      category,
      created: isoSeconds(created),
      online,
      atm: category === "cash",
      disable_feedback: false,
      metadata: {},
      address: {
        address: street,
        city,
        region: online ? "" : "Greater London",
        country: "GBR",
        postcode,
        latitude,
        longitude,
        formatted: online ? "United Kingdom" : `${street}, ${city} ${postcode}, United Kingdom`,
        short_formatted: online ? "United Kingdom" : `${street}, ${city} ${postcode}`,
        zoom_level: online ? 0 : 17,
        approximate: online,
      },
    };
  });
}
