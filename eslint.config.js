// ESLint, run by `npm test` (test/platform/lint.test.ts). Besides typescript-eslint's recommended
// rules: the layering of the README's Layout (a module imports lower layers and a sibling's
// index.ts only), no import cycles, and a line-length limit. test/platform/modules.test.ts also
// checks the module boundary by resolved path and the type-only cycles import-x/no-cycle skips.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'sdk/**/dist/**', 'sdk/src/generated/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // A module reaches a sibling only through the sibling's index.ts.
    files: ['src/modules/*/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^\\.\\./[^./][^/]*/(?!index\\.js$)',
          message: "Import a sibling module through its index.ts ('../<module>/index.js'), never its files.",
        }],
      }],
    },
  },
);
