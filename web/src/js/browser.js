// Which browser this is. Sessions are built for Chrome; others get a friendly banner.

const BRANDS = [
  ["Microsoft Edge", "Edge"],
  ["Opera", "Opera"],
  ["Google Chrome", "Chrome"],
  ["Chromium", "Chromium"],
];
const AGENTS = [
  [/Edg\/(\d+)/, "Edge"],
  [/OPR\/(\d+)/, "Opera"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/Chrome\/(\d+)/, "Chrome"],
  [/Version\/(\d+)[\d.]* .*Safari/, "Safari"],
];

/** {name, version, recommended}: Chrome (and Chromium, its open-source build) are recommended. */
export function detectBrowser(nav = navigator) {
  const brands = nav.userAgentData?.brands ?? [];
  for (const [brand, name] of BRANDS) {
    const found = brands.find((b) => b.brand === brand);
    if (found) return { name, version: found.version, recommended: isRecommended(name) };
  }
  for (const [pattern, name] of AGENTS) {
    const match = nav.userAgent.match(pattern);
    if (match) return { name, version: match[1], recommended: isRecommended(name) };
  }
  return { name: "Unknown", version: "", recommended: false };
}

function isRecommended(name) {
  return name === "Chrome" || name === "Chromium";
}

/** Whether this browser can hold a video session at all. */
export function canHoldSessions() {
  return Boolean(window.RTCPeerConnection && navigator.mediaDevices?.getUserMedia);
}
