/** Event naming conventions a project can enforce (project setting `namingConvention`). */
export const NAMING_CONVENTIONS = ['object_action_title', 'snake_case', 'any'] as const;
export type NamingConvention = (typeof NAMING_CONVENTIONS)[number];
