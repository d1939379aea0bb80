// Every keyboard shortcut of the app, in one list: the request page's help line and the Help
// page both show it, so neither can leave one out.

export interface Shortcut {
  keys: string[];
  does: string;
  /** where it works */
  where: string;
  /** only for a checker who may review the request now */
  reviewing?: boolean;
}

export const shortcuts: Shortcut[] = [
  { keys: ['j', 'n'], does: 'next file', where: 'request pages' },
  { keys: ['k', 'p'], does: 'previous file', where: 'request pages' },
  { keys: ['a'], does: 'approve the file shown', where: 'request pages', reviewing: true },
  { keys: ['c'], does: 'request changes to the file shown', where: 'request pages', reviewing: true },
  { keys: ['?'], does: 'show or hide the shortcut help', where: 'request pages' },
  { keys: ['←', '→'], does: 'make the file tree narrower or wider (on the divider)', where: 'workspace and request pages' },
  { keys: ['Escape'], does: 'close a dialog or the account menu', where: 'everywhere' },
  { keys: ['Tab', 'Shift+Tab'], does: 'move between controls (inside a dialog, they cycle)', where: 'everywhere' },
];
